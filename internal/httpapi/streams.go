package httpapi

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/wire"
)

// Streams, topics, partitions, segments and consumer groups. Reads answer
// from the service's committed state (immutable, no lock) with the same
// views the binary protocol encodes; a stream or topic that does not
// exist is 404 before the caller's permissions are checked (403), as in
// Iggy. Writes call the service's typed methods.

var streamRoutes = []route{
	{"GET", "/streams", false, (*API).getStreams},
	{"POST", "/streams", false, (*API).createStream},
	{"GET", "/streams/{stream_id}", false, (*API).getStream},
	{"PUT", "/streams/{stream_id}", false, (*API).updateStream},
	{"DELETE", "/streams/{stream_id}", false, (*API).deleteStream},
	{"DELETE", "/streams/{stream_id}/purge", false, (*API).purgeStream},
}

var topicRoutes = []route{
	{"GET", "/streams/{stream_id}/topics", false, (*API).getTopics},
	{"POST", "/streams/{stream_id}/topics", false, (*API).createTopic},
	{"GET", "/streams/{stream_id}/topics/{topic_id}", false, (*API).getTopic},
	{"PUT", "/streams/{stream_id}/topics/{topic_id}", false, (*API).updateTopic},
	{"DELETE", "/streams/{stream_id}/topics/{topic_id}", false, (*API).deleteTopic},
	{"DELETE", "/streams/{stream_id}/topics/{topic_id}/purge", false, (*API).purgeTopic},
	{"POST", "/streams/{stream_id}/topics/{topic_id}/partitions", false, (*API).createPartitions},
	{"DELETE", "/streams/{stream_id}/topics/{topic_id}/partitions", false, (*API).deletePartitions},
	{"DELETE", "/streams/{stream_id}/topics/{topic_id}/partitions/{partition_id}", false, (*API).deleteSegments},
}

var groupRoutes = []route{
	{"GET", "/streams/{stream_id}/topics/{topic_id}/consumer-groups", false, (*API).getGroups},
	{"POST", "/streams/{stream_id}/topics/{topic_id}/consumer-groups", false, (*API).createGroup},
	{"GET", "/streams/{stream_id}/topics/{topic_id}/consumer-groups/{group_id}", false, (*API).getGroup},
	{"DELETE", "/streams/{stream_id}/topics/{topic_id}/consumer-groups/{group_id}", false, (*API).deleteGroup},
}

// allowed checks the caller against a scope on ids; a refusal is answered.
func (a *API) allowed(w http.ResponseWriter, r *http.Request, id identity, sc auth.Scope, ids ...wire.Identifier) bool {
	if st := auth.AuthorizeIDs(a.svc.State(), id.userID, sc, ids...); st != wire.StatusOK {
		a.fail(w, r, st)
		return false
	}
	return true
}

// exists answers 404 unless the stream (and topic, with two ids) exists.
func (a *API) exists(w http.ResponseWriter, ids ...wire.Identifier) bool {
	st := a.svc.State()
	var code wire.Status
	if len(ids) == 1 {
		_, code = st.ResolveStream(ids[0])
	} else {
		_, code = st.ResolveTopic(ids[0], ids[1])
	}
	if code != wire.StatusOK {
		notFound(w)
		return false
	}
	return true
}

func (a *API) getStreams(w http.ResponseWriter, r *http.Request, id identity) {
	if !a.allowed(w, r, id, auth.NeedStreamList) {
		return
	}
	list := a.svc.State().StreamList(a.stats())
	out := make([]streamJSON, len(list))
	for i, s := range list {
		out[i] = streamOf(s)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getStream(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id")
	if !ok || !a.exists(w, ids...) || !a.allowed(w, r, id, auth.NeedReadStream, ids...) {
		return
	}
	d, found := a.svc.State().StreamDetails(ids[0], a.stats())
	if !found {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, streamDetailsOf(d))
}

func (a *API) createStream(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Name string `json:"name"`
	}
	if !a.readJSON(w, r, &req) {
		return
	}
	if tooLong(req.Name) {
		a.fail(w, r, wire.StatusInvalidStreamName)
		return
	}
	cs, st := viaWire(wire.CreateStream{Name: req.Name})
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	o, ok := a.write(w, r, func(done service.Done) error { return a.svc.CreateStream(caller(id), cs, done) })
	if ok {
		d, _ := o.State.StreamDetails(wire.NumericID(o.Result.ID), a.stats())
		writeJSON(w, http.StatusOK, streamDetailsOf(d))
	}
}

func (a *API) updateStream(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Name string `json:"name"`
	}
	ids, ok := a.pathIDs(w, r, "stream_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	if tooLong(req.Name) {
		a.fail(w, r, wire.StatusInvalidStreamName)
		return
	}
	update(a, w, r, id, wire.UpdateStream{Stream: ids[0], Name: req.Name}, (*service.Service).UpdateStream)
}

func (a *API) deleteStream(w http.ResponseWriter, r *http.Request, id identity) {
	if ids, ok := a.pathIDs(w, r, "stream_id"); ok {
		update(a, w, r, id, wire.StreamRequest{Stream: ids[0]}, (*service.Service).DeleteStream)
	}
}

func (a *API) purgeStream(w http.ResponseWriter, r *http.Request, id identity) {
	if ids, ok := a.pathIDs(w, r, "stream_id"); ok {
		update(a, w, r, id, wire.StreamRequest{Stream: ids[0]}, (*service.Service).PurgeStream)
	}
}

// Topics.

func (a *API) getTopics(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id")
	if !ok || !a.exists(w, ids...) || !a.allowed(w, r, id, auth.NeedTopicList, ids...) {
		return
	}
	list, st := a.svc.State().TopicList(ids[0], a.stats())
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	out := make([]topicJSON, len(list))
	for i, t := range list {
		out[i] = topicOf(t)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getTopic(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok || !a.exists(w, ids...) || !a.allowed(w, r, id, auth.NeedReadTopic, ids...) {
		return
	}
	d, found := a.svc.State().TopicDetails(ids[0], ids[1], a.stats())
	if !found {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, topicDetailsOf(d))
}

// topicBody is Iggy's CreateTopic / UpdateTopic JSON. message_expiry is
// µs (0: the server's default, u64 max: never), max_topic_size bytes or a
// size string (0: default, u64 max: unlimited). replication_factor is
// accepted and ignored: Shoal replicates by cluster, not by topic.
type topicBody struct {
	Name              string          `json:"name"`
	PartitionsCount   uint32          `json:"partitions_count"`
	Compression       string          `json:"compression_algorithm"`
	MessageExpiry     u64             `json:"message_expiry"`
	MaxTopicSize      json.RawMessage `json:"max_topic_size"`
	ReplicationFactor *uint8          `json:"replication_factor"`
}

// options turns the body's settings into the options block the service
// parses (metadata.ParseTopicOptions): only the keys that are set.
func (b *topicBody) options() ([]byte, wire.Status) {
	if tooLong(b.Name) {
		return nil, wire.StatusInvalidTopicName
	}
	var out []byte
	if c := strings.ToLower(b.Compression); c != "" {
		out = appendOption(out, "compression_algorithm", metadata.KindString, []byte(c))
	}
	if b.MessageExpiry != 0 {
		out = appendOption(out, "message_expiry", metadata.KindUint64, binary.LittleEndian.AppendUint64(nil, uint64(b.MessageExpiry)))
	}
	if len(b.MaxTopicSize) > 0 && string(b.MaxTopicSize) != "null" {
		var n u64
		var s string
		switch {
		case json.Unmarshal(b.MaxTopicSize, &n) == nil:
			if n != 0 {
				out = appendOption(out, "max_topic_size", metadata.KindUint64, binary.LittleEndian.AppendUint64(nil, uint64(n)))
			}
		case json.Unmarshal(b.MaxTopicSize, &s) == nil:
			if s != "" {
				out = appendOption(out, "max_topic_size", metadata.KindString, []byte(s))
			}
		default:
			return nil, wire.StatusInvalidTopicSize
		}
	}
	return out, wire.StatusOK
}

// appendOption appends one options TLV entry: a string key and a value of
// kind k (wire.md §3.6).
func appendOption(dst []byte, key string, k metadata.HeaderKind, v []byte) []byte {
	dst = append(dst, byte(metadata.KindString))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(key)))
	dst = append(append(dst, key...), byte(k))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

func (a *API) createTopic(w http.ResponseWriter, r *http.Request, id identity) {
	var req topicBody
	ids, ok := a.pathIDs(w, r, "stream_id")
	if !ok || !a.readJSON(w, r, &req) || !a.exists(w, ids...) {
		return
	}
	opts, st := req.options()
	var ct wire.CreateTopic
	if st == wire.StatusOK {
		ct, st = viaWire(wire.CreateTopic{Stream: ids[0], Partitions: req.PartitionsCount, Name: req.Name, Options: opts})
	}
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	o, ok := a.write(w, r, func(done service.Done) error { return a.svc.CreateTopic(caller(id), ct, done) })
	if ok {
		d, _ := o.State.TopicDetails(ids[0], wire.NumericID(o.Result.ID), a.stats())
		writeJSON(w, http.StatusOK, topicDetailsOf(d))
	}
}

func (a *API) updateTopic(w http.ResponseWriter, r *http.Request, id identity) {
	var req topicBody
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	opts, st := req.options()
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	update(a, w, r, id, wire.UpdateTopic{Stream: ids[0], Topic: ids[1], Name: req.Name, Options: opts}, (*service.Service).UpdateTopic)
}

func (a *API) deleteTopic(w http.ResponseWriter, r *http.Request, id identity) {
	if ids, ok := a.pathIDs(w, r, "stream_id", "topic_id"); ok {
		update(a, w, r, id, wire.TopicRequest{Stream: ids[0], Topic: ids[1]}, (*service.Service).DeleteTopic)
	}
}

func (a *API) purgeTopic(w http.ResponseWriter, r *http.Request, id identity) {
	if ids, ok := a.pathIDs(w, r, "stream_id", "topic_id"); ok {
		update(a, w, r, id, wire.TopicRequest{Stream: ids[0], Topic: ids[1]}, (*service.Service).PurgeTopic)
	}
}

// Partitions and segments.

// countIn reads a u32 count from the query (name) or the JSON body
// (field), defaulting to 1 as Iggy's commands do.
func (a *API) queryCount(w http.ResponseWriter, r *http.Request, name string) (uint32, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 1, true
	}
	n, err := parseU32(v)
	if err != nil {
		a.fail(w, r, wire.StatusInvalidFormat)
		return 0, false
	}
	return n, true
}

// createPartitions adds partitions: {"partitions_count": n}; 201.
func (a *API) createPartitions(w http.ResponseWriter, r *http.Request, id identity) {
	req := struct {
		Count uint32 `json:"partitions_count"`
	}{Count: 1}
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	pr, st := viaWire(wire.PartitionsRequest{Stream: ids[0], Topic: ids[1], Count: req.Count})
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	if _, ok := a.write(w, r, func(done service.Done) error { return a.svc.CreatePartitions(caller(id), pr, done) }); ok {
		w.WriteHeader(http.StatusCreated)
	}
}

// deletePartitions removes the last partitions: ?partitions_count=n.
func (a *API) deletePartitions(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok {
		return
	}
	n, ok := a.queryCount(w, r, "partitions_count")
	if !ok {
		return
	}
	update(a, w, r, id, wire.PartitionsRequest{Stream: ids[0], Topic: ids[1], Count: n}, (*service.Service).DeletePartitions)
}

// deleteSegments removes a partition's oldest sealed segments:
// ?segments_count=n, on the partition's owner.
func (a *API) deleteSegments(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok {
		return
	}
	part, err := strconv.ParseUint(r.PathValue("partition_id"), 10, 32)
	if err != nil {
		a.fail(w, r, wire.StatusInvalidFormat)
		return
	}
	n, ok := a.queryCount(w, r, "segments_count")
	if !ok {
		return
	}
	req, st := viaWire(wire.DeleteSegments{Stream: ids[0], Topic: ids[1], Partition: uint32(part), Count: n})
	if st == wire.StatusOK {
		st = a.node.DeleteSegments(r.Context(), caller(id), &req)
	}
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	noContent(w)
}

// Consumer groups.

func (a *API) getGroups(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok || !a.exists(w, ids...) || !a.allowed(w, r, id, auth.NeedReadTopic, ids...) {
		return
	}
	list, st := a.svc.State().GroupList(ids[0], ids[1])
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	out := make([]groupJSON, len(list))
	for i, g := range list {
		out[i] = groupOf(g)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id", "group_id")
	if !ok || !a.exists(w, ids[:2]...) || !a.allowed(w, r, id, auth.NeedReadTopic, ids[:2]...) {
		return
	}
	d, found := a.svc.State().GroupDetails(ids[0], ids[1], ids[2])
	if !found {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, groupDetailsOf(d))
}

// createGroup creates a consumer group: {"name"}; 201 with its details.
func (a *API) createGroup(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Name string `json:"name"`
	}
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	if tooLong(req.Name) {
		a.fail(w, r, wire.StatusInvalidConsumerGroupName)
		return
	}
	cg, st := viaWire(wire.CreateGroup{Stream: ids[0], Topic: ids[1], Name: req.Name})
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	o, ok := a.write(w, r, func(done service.Done) error { return a.svc.CreateGroup(caller(id), cg, done) })
	if ok {
		d, _ := o.State.GroupDetails(ids[0], ids[1], wire.NumericID(o.Result.ID))
		writeJSON(w, http.StatusCreated, groupDetailsOf(d))
	}
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request, id identity) {
	if ids, ok := a.pathIDs(w, r, "stream_id", "topic_id", "group_id"); ok {
		update(a, w, r, id, wire.GroupRequest{Stream: ids[0], Topic: ids[1], Group: ids[2]}, (*service.Service).DeleteGroup)
	}
}
