package httpapi

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// The JSON bodies of Iggy's REST API, with its serde field names
// (snake_case): timestamps are µs since the epoch, expiries µs (u64 max:
// never), byte sizes strings (byteSize), max_topic_size bytes (u64 max:
// unlimited). Each is built from the wire package's reply values, the
// ones the binary protocol encodes.

type streamJSON struct {
	ID            uint32   `json:"id"`
	CreatedAt     uint64   `json:"created_at"`
	Name          string   `json:"name"`
	Size          byteSize `json:"size"`
	MessagesCount uint64   `json:"messages_count"`
	TopicsCount   uint32   `json:"topics_count"`
}

type streamDetailsJSON struct {
	streamJSON
	Topics []topicJSON `json:"topics"`
}

type topicJSON struct {
	ID                   uint32   `json:"id"`
	CreatedAt            uint64   `json:"created_at"`
	Name                 string   `json:"name"`
	Size                 byteSize `json:"size"`
	MessageExpiry        uint64   `json:"message_expiry"`
	CompressionAlgorithm string   `json:"compression_algorithm"`
	MaxTopicSize         uint64   `json:"max_topic_size"`
	ReplicationFactor    uint8    `json:"replication_factor"`
	MessagesCount        uint64   `json:"messages_count"`
	PartitionsCount      uint32   `json:"partitions_count"`
}

type topicDetailsJSON struct {
	topicJSON
	Partitions []partitionJSON `json:"partitions"`
}

type partitionJSON struct {
	ID            uint32   `json:"id"`
	CreatedAt     uint64   `json:"created_at"`
	SegmentsCount uint32   `json:"segments_count"`
	CurrentOffset uint64   `json:"current_offset"`
	Size          byteSize `json:"size"`
	MessagesCount uint64   `json:"messages_count"`
}

type groupJSON struct {
	ID              uint32 `json:"id"`
	Name            string `json:"name"`
	PartitionsCount uint32 `json:"partitions_count"`
	MembersCount    uint32 `json:"members_count"`
}

type groupMemberJSON struct {
	ID              uint32   `json:"id"`
	PartitionsCount uint32   `json:"partitions_count"`
	Partitions      []uint32 `json:"partitions"`
}

type groupDetailsJSON struct {
	groupJSON
	Members []groupMemberJSON `json:"members"`
}

func streamOf(s wire.StreamInfo) streamJSON {
	return streamJSON{ID: s.ID, CreatedAt: s.CreatedAt, Name: s.Name, Size: byteSize(s.Size), MessagesCount: s.Messages,
		TopicsCount: s.TopicsCount}
}

func streamDetailsOf(d wire.StreamDetails) streamDetailsJSON {
	out := streamDetailsJSON{streamJSON: streamOf(d.StreamInfo), Topics: make([]topicJSON, len(d.Topics))}
	for i, t := range d.Topics {
		out.Topics[i] = topicOf(t)
	}
	return out
}

func compressionName(c uint8) string {
	if c == metadata.CompressionGzip {
		return "gzip"
	}
	return "none"
}

// topicOf renders a topic. Shoal replicates every partition by its
// cluster's replica count and has no per-topic factor: 1 standalone.
func topicOf(t wire.TopicInfo) topicJSON {
	return topicJSON{ID: t.ID, CreatedAt: t.CreatedAt, Name: t.Name, Size: byteSize(t.Size), MessageExpiry: t.MessageExpiry,
		CompressionAlgorithm: compressionName(t.Compression), MaxTopicSize: t.MaxTopicSize, ReplicationFactor: 1,
		MessagesCount: t.Messages, PartitionsCount: t.PartitionsCount}
}

func topicDetailsOf(d wire.TopicDetails) topicDetailsJSON {
	out := topicDetailsJSON{topicJSON: topicOf(d.TopicInfo), Partitions: make([]partitionJSON, len(d.Partitions))}
	for i, p := range d.Partitions {
		out.Partitions[i] = partitionJSON{ID: p.ID, CreatedAt: p.CreatedAt, SegmentsCount: p.SegmentsCount,
			CurrentOffset: p.CurrentOffset, Size: byteSize(p.Size), MessagesCount: p.Messages}
	}
	return out
}

func groupOf(g wire.GroupInfo) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name, PartitionsCount: g.PartitionsCount, MembersCount: g.MembersCount}
}

func groupDetailsOf(d wire.GroupDetails) groupDetailsJSON {
	out := groupDetailsJSON{groupJSON: groupOf(d.GroupInfo), Members: make([]groupMemberJSON, len(d.Members))}
	out.MembersCount = uint32(len(d.Members))
	for i, m := range d.Members {
		out.Members[i] = groupMemberJSON{ID: m.ID, PartitionsCount: uint32(len(m.Partitions)), Partitions: m.Partitions}
		if out.Members[i].Partitions == nil {
			out.Members[i].Partitions = []uint32{}
		}
	}
	return out
}

// Users and tokens.

type userJSON struct {
	ID        uint32 `json:"id"`
	CreatedAt uint64 `json:"created_at"`
	Status    string `json:"status"`
	Username  string `json:"username"`
}

type userDetailsJSON struct {
	userJSON
	Permissions *permissionsJSON `json:"permissions"`
}

func userOf(u wire.UserInfo) userJSON {
	return userJSON{ID: u.ID, CreatedAt: u.CreatedAt, Status: u.Status.String(), Username: u.Username}
}

func userDetailsOf(u metadata.User) userDetailsJSON {
	out := userDetailsJSON{userJSON: userOf(u.Info())}
	if len(u.Permissions) > 0 {
		if p, err := wire.DecodePermissions(u.Permissions); err == nil {
			pj := permissionsOf(p)
			out.Permissions = &pj
		}
	}
	return out
}

// permissionsJSON is Iggy's Permissions: global grants and, by stream id
// (a JSON object keyed by the id as a string), stream and topic grants.
type permissionsJSON struct {
	Global  globalPermissionsJSON            `json:"global"`
	Streams map[uint32]streamPermissionsJSON `json:"streams"`
}

type globalPermissionsJSON struct {
	ManageServers bool `json:"manage_servers"`
	ReadServers   bool `json:"read_servers"`
	ManageUsers   bool `json:"manage_users"`
	ReadUsers     bool `json:"read_users"`
	ManageStreams bool `json:"manage_streams"`
	ReadStreams   bool `json:"read_streams"`
	ManageTopics  bool `json:"manage_topics"`
	ReadTopics    bool `json:"read_topics"`
	PollMessages  bool `json:"poll_messages"`
	SendMessages  bool `json:"send_messages"`
}

type streamPermissionsJSON struct {
	ManageStream bool                            `json:"manage_stream"`
	ReadStream   bool                            `json:"read_stream"`
	ManageTopics bool                            `json:"manage_topics"`
	ReadTopics   bool                            `json:"read_topics"`
	PollMessages bool                            `json:"poll_messages"`
	SendMessages bool                            `json:"send_messages"`
	Topics       map[uint32]topicPermissionsJSON `json:"topics"`
}

type topicPermissionsJSON struct {
	ManageTopic  bool `json:"manage_topic"`
	ReadTopic    bool `json:"read_topic"`
	PollMessages bool `json:"poll_messages"`
	SendMessages bool `json:"send_messages"`
}

func permissionsOf(p wire.Permissions) permissionsJSON {
	out := permissionsJSON{Global: globalPermissionsJSON{ManageServers: p.ManageServers, ReadServers: p.ReadServers,
		ManageUsers: p.ManageUsers, ReadUsers: p.ReadUsers, ManageStreams: p.ManageStreams, ReadStreams: p.ReadStreams,
		ManageTopics: p.ManageTopics, ReadTopics: p.ReadTopics, PollMessages: p.PollMessages, SendMessages: p.SendMessages}}
	if p.Streams != nil {
		out.Streams = map[uint32]streamPermissionsJSON{}
		for id, s := range p.Streams {
			sj := streamPermissionsJSON{ManageStream: s.ManageStream, ReadStream: s.ReadStream, ManageTopics: s.ManageTopics,
				ReadTopics: s.ReadTopics, PollMessages: s.PollMessages, SendMessages: s.SendMessages}
			if s.Topics != nil {
				sj.Topics = map[uint32]topicPermissionsJSON{}
				for tid, t := range s.Topics {
					sj.Topics[tid] = topicPermissionsJSON(t)
				}
			}
			out.Streams[id] = sj
		}
	}
	return out
}

// wire turns p into Iggy's permissions body.
func (p *permissionsJSON) wire() []byte {
	if p == nil {
		return nil
	}
	g := p.Global
	out := wire.Permissions{ManageServers: g.ManageServers, ReadServers: g.ReadServers, ManageUsers: g.ManageUsers,
		ReadUsers: g.ReadUsers, ManageStreams: g.ManageStreams, ReadStreams: g.ReadStreams, ManageTopics: g.ManageTopics,
		ReadTopics: g.ReadTopics, PollMessages: g.PollMessages, SendMessages: g.SendMessages}
	if p.Streams != nil {
		out.Streams = map[uint32]wire.StreamPermissions{}
		for id, s := range p.Streams {
			sp := wire.StreamPermissions{ManageStream: s.ManageStream, ReadStream: s.ReadStream, ManageTopics: s.ManageTopics,
				ReadTopics: s.ReadTopics, PollMessages: s.PollMessages, SendMessages: s.SendMessages}
			if s.Topics != nil {
				sp.Topics = map[uint32]wire.TopicPermissions{}
				for tid, t := range s.Topics {
					sp.Topics[tid] = wire.TopicPermissions(t)
				}
			}
			out.Streams[id] = sp
		}
	}
	return out.Append(nil)
}

// userStatus parses Iggy's "active"/"inactive"; "" is 0 (unset).
func userStatus(s string) (wire.UserStatus, bool) {
	switch s {
	case "":
		return 0, true
	case "active":
		return wire.UserActive, true
	case "inactive":
		return wire.UserInactive, true
	}
	return 0, false
}

type tokenInfoJSON struct {
	Name     string  `json:"name"`
	ExpiryAt *uint64 `json:"expiry_at"`
}

type identityJSON struct {
	UserID      uint32           `json:"user_id"`
	AccessToken *accessTokenJSON `json:"access_token"`
}

type accessTokenJSON struct {
	Token  string `json:"token"`
	Expiry int64  `json:"expiry"`
}

// System.

type statsJSON struct {
	ProcessID           uint32            `json:"process_id"`
	CPUUsage            float32           `json:"cpu_usage"`
	TotalCPUUsage       float32           `json:"total_cpu_usage"`
	MemoryUsage         byteSize          `json:"memory_usage"`
	TotalMemory         byteSize          `json:"total_memory"`
	AvailableMemory     byteSize          `json:"available_memory"`
	RunTime             uint64            `json:"run_time"`
	StartTime           uint64            `json:"start_time"`
	ReadBytes           byteSize          `json:"read_bytes"`
	WrittenBytes        byteSize          `json:"written_bytes"`
	MessagesSizeBytes   byteSize          `json:"messages_size_bytes"`
	StreamsCount        uint32            `json:"streams_count"`
	TopicsCount         uint32            `json:"topics_count"`
	PartitionsCount     uint32            `json:"partitions_count"`
	SegmentsCount       uint32            `json:"segments_count"`
	MessagesCount       uint64            `json:"messages_count"`
	ClientsCount        uint32            `json:"clients_count"`
	ConsumerGroupsCount uint32            `json:"consumer_groups_count"`
	Hostname            string            `json:"hostname"`
	OSName              string            `json:"os_name"`
	OSVersion           string            `json:"os_version"`
	KernelVersion       string            `json:"kernel_version"`
	ServerVersion       string            `json:"iggy_server_version"`
	ServerSemver        *uint32           `json:"iggy_server_semver"`
	CacheMetrics        map[string]string `json:"cache_metrics"`
	ThreadsCount        uint32            `json:"threads_count"`
	FreeDiskSpace       byteSize          `json:"free_disk_space"`
	TotalDiskSpace      byteSize          `json:"total_disk_space"`
}

func statsOf(s wire.Stats) statsJSON {
	out := statsJSON{ProcessID: s.ProcessID, CPUUsage: s.CPUUsage, TotalCPUUsage: s.TotalCPUUsage,
		MemoryUsage: byteSize(s.MemoryUsage), TotalMemory: byteSize(s.TotalMemory), AvailableMemory: byteSize(s.AvailableMemory),
		RunTime: s.RunTime, StartTime: s.StartTime, ReadBytes: byteSize(s.ReadBytes), WrittenBytes: byteSize(s.WrittenBytes),
		MessagesSizeBytes: byteSize(s.MessagesSizeBytes), StreamsCount: s.StreamsCount, TopicsCount: s.TopicsCount,
		PartitionsCount: s.PartitionsCount, SegmentsCount: s.SegmentsCount, MessagesCount: s.MessagesCount,
		ClientsCount: s.ClientsCount, ConsumerGroupsCount: s.ConsumerGroupsCount, Hostname: s.Hostname, OSName: s.OSName,
		OSVersion: s.OSVersion, KernelVersion: s.KernelVersion, ServerVersion: s.ServerVersion,
		CacheMetrics: map[string]string{}, ThreadsCount: s.ThreadsCount, FreeDiskSpace: byteSize(s.FreeDiskSpace),
		TotalDiskSpace: byteSize(s.TotalDiskSpace)}
	if s.ServerSemver != 0 {
		v := s.ServerSemver
		out.ServerSemver = &v
	}
	return out
}

type clientJSON struct {
	ClientID            uint32  `json:"client_id"`
	UserID              *uint32 `json:"user_id"`
	Address             string  `json:"address"`
	Transport           string  `json:"transport"`
	ConsumerGroupsCount uint32  `json:"consumer_groups_count"`
}

type clientGroupJSON struct {
	StreamID uint32 `json:"stream_id"`
	TopicID  uint32 `json:"topic_id"`
	GroupID  uint32 `json:"group_id"`
}

type clientDetailsJSON struct {
	clientJSON
	ConsumerGroups []clientGroupJSON `json:"consumer_groups"`
}

func transportName(t wire.ClientTransport) string {
	switch t {
	case wire.ClientTransportQUIC:
		return "QUIC"
	case wire.ClientTransportWebSocket:
		return "WebSocket"
	case wire.ClientTransportHTTP:
		return "HTTP"
	}
	return "TCP"
}

func clientOf(c wire.ClientInfo) clientJSON {
	out := clientJSON{ClientID: c.ID, Address: c.Address, Transport: transportName(c.Transport),
		ConsumerGroupsCount: uint32(len(c.Groups))}
	if c.UserID != 0 || len(c.Groups) > 0 {
		u := c.UserID
		out.UserID = &u
	}
	return out
}

type clusterJSON struct {
	Name  string            `json:"name"`
	Nodes []clusterNodeJSON `json:"nodes"`
}

type clusterNodeJSON struct {
	Name      string `json:"name"`
	IP        string `json:"ip"`
	Endpoints struct {
		TCP       uint16 `json:"tcp"`
		QUIC      uint16 `json:"quic"`
		HTTP      uint16 `json:"http"`
		WebSocket uint16 `json:"websocket"`
	} `json:"endpoints"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

var nodeStatusNames = map[wire.NodeStatus]string{wire.NodeHealthy: "healthy", wire.NodeStarting: "starting",
	wire.NodeStopping: "stopping", wire.NodeUnreachable: "unreachable", wire.NodeMaintenance: "maintenance"}

func clusterOf(m wire.ClusterMetadata) clusterJSON {
	out := clusterJSON{Name: m.Name, Nodes: make([]clusterNodeJSON, len(m.Nodes))}
	for i, n := range m.Nodes {
		nj := clusterNodeJSON{Name: n.Name, IP: n.IP, Role: "follower", Status: "unknown"}
		nj.Endpoints.TCP, nj.Endpoints.QUIC, nj.Endpoints.HTTP, nj.Endpoints.WebSocket = n.TCP, n.QUIC, n.HTTP, n.WebSocket
		if n.Role == wire.RoleLeader {
			nj.Role = "leader"
		}
		if s, ok := nodeStatusNames[n.Status]; ok {
			nj.Status = s
		}
		out.Nodes[i] = nj
	}
	return out
}

// u64 is a JSON number or a decimal string, read as a u64 (Iggy's ids
// and offsets accept both in places).
type u64 uint64

func (v *u64) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	x, err := strconv.ParseUint(n.String(), 10, 64)
	if err != nil {
		return fmt.Errorf("not a u64: %s", b)
	}
	*v = u64(x)
	return nil
}

func parseU32(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}
