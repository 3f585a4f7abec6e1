package httpapi

import (
	_ "embed"
	"fmt"
	"net/http"
	"strconv"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/wire"
)

// openAPI is the API's OpenAPI 3 document, written by hand; a test checks
// that its paths and methods are exactly the routes served.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI document served at GET /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

var systemRoutes = []route{
	{"GET", "/{$}", true, func(_ *API, w http.ResponseWriter, _ *http.Request, _ identity) { text(w, "Iggy API") }},
	{"GET", "/ping", true, func(_ *API, w http.ResponseWriter, _ *http.Request, _ identity) { text(w, "pong") }},
	{"GET", "/health", true, (*API).health},
	{"GET", "/openapi.json", true, func(_ *API, w http.ResponseWriter, _ *http.Request, _ identity) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	}},
	{"GET", "/metrics", true, func(a *API, w http.ResponseWriter, r *http.Request, _ identity) { a.cfg.Metrics.ServeHTTP(w, r) }},
	{"GET", "/stats", false, (*API).getStats},
	{"GET", "/cluster/metadata", false, (*API).getClusterMetadata},
	{"GET", "/clients", false, (*API).getClients},
	{"GET", "/clients/{client_id}", false, (*API).getClient},
	{"POST", "/snapshot", false, (*API).getSnapshot},
}

func text(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(s))
}

func (a *API) health(w http.ResponseWriter, _ *http.Request, _ identity) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "healthy", "version": a.cfg.Version})
}

// readServer checks the read_servers grant the admin reads need.
func (a *API) readServer(w http.ResponseWriter, r *http.Request, id identity) bool {
	if st := auth.AuthorizeIDs(a.svc.State(), id.userID, auth.NeedServer); st != wire.StatusOK {
		a.fail(w, r, st)
		return false
	}
	return true
}

func (a *API) getStats(w http.ResponseWriter, r *http.Request, id identity) {
	if a.readServer(w, r, id) {
		writeJSON(w, http.StatusOK, statsOf(a.node.Stats()))
	}
}

// getClusterMetadata needs only a valid token, as in Iggy.
func (a *API) getClusterMetadata(w http.ResponseWriter, _ *http.Request, _ identity) {
	writeJSON(w, http.StatusOK, clusterOf(a.node.ClusterMetadata()))
}

func (a *API) getClients(w http.ResponseWriter, r *http.Request, id identity) {
	if !a.readServer(w, r, id) {
		return
	}
	clients := a.node.Clients()
	out := make([]clientJSON, len(clients))
	for i, c := range clients {
		out[i] = clientOf(c)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request, id identity) {
	n, err := parseU32(r.PathValue("client_id"))
	if err != nil {
		a.fail(w, r, wire.StatusInvalidFormat)
		return
	}
	if !a.readServer(w, r, id) {
		return
	}
	c, ok := a.node.Client(n)
	if !ok {
		notFound(w)
		return
	}
	out := clientDetailsJSON{clientJSON: clientOf(c), ConsumerGroups: make([]clientGroupJSON, len(c.Groups))}
	for i, g := range c.Groups {
		out.ConsumerGroups[i] = clientGroupJSON{StreamID: g.Stream, TopicID: g.Topic, GroupID: g.Group}
	}
	writeJSON(w, http.StatusOK, out)
}

// snapshotTypes are Iggy's SystemSnapshotType names with their wire codes.
var snapshotTypes = map[string]byte{"FilesystemOverview": 1, "ProcessList": 2, "ResourceUsage": 3, "Test": 4,
	"ServerLogs": 5, "ServerConfig": 6, "All": 100}

// snapshotCompressions are Iggy's SnapshotCompression names with their
// wire codes.
var snapshotCompressions = map[string]byte{"Stored": 1, "Deflated": 2, "Bzip2": 3, "Zstd": 4, "Lzma": 5, "Xz": 6}

// getSnapshot answers a ZIP of the requested diagnostics:
// {"compression": "Deflated", "snapshot_types": ["All"]}.
func (a *API) getSnapshot(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Compression   string   `json:"compression"`
		SnapshotTypes []string `json:"snapshot_types"`
	}
	if !a.readServer(w, r, id) || !a.readJSON(w, r, &req) {
		return
	}
	comp, ok := snapshotCompressions[req.Compression]
	if !ok || len(req.SnapshotTypes) > 255 {
		a.fail(w, r, wire.StatusInvalidCommand)
		return
	}
	sr := wire.SnapshotRequest{Compression: comp}
	for _, t := range req.SnapshotTypes {
		code, ok := snapshotTypes[t]
		if !ok {
			a.fail(w, r, wire.StatusInvalidCommand)
			return
		}
		sr.Types = append(sr.Types, code)
	}
	zip, st := a.node.Snapshot(sr.Append(nil))
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"iggy_snapshot_%s.zip\"", a.cfg.Now().Format("20060102_150405")))
	w.Header().Set("Content-Length", strconv.Itoa(len(zip)))
	_, _ = w.Write(zip)
}
