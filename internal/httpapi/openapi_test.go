package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/vfs"
)

// testAPI is an API over a real service on an in-memory store; its Node is
// nil (the tests here do not reach the data plane).
func testAPI(t *testing.T) *API {
	t.Helper()
	store, err := metadata.Open(vfs.NewMem(), "data", metadata.Options{HashParams: metadata.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Bootstrap(metadata.RootCredentials{Username: "iggy", Password: "iggy-secret"}, time.Unix(1, 0), nil); err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Config{Store: store, Storage: noStorage{}})
	t.Cleanup(func() {
		svc.Close()
		store.Close()
	})
	a, err := New(Config{Service: svc, Node: nilNode{}, Metrics: http.NotFoundHandler(), JWT: DefaultJWT(), CORS: DefaultCORS()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type noStorage struct{}

func (noStorage) Create([]metadata.Effect) error { return nil }
func (noStorage) Carry([]metadata.Effect)        {}

// nilNode is a Node the tests here never call.
type nilNode struct{ Node }

// docOps returns the document's operations as "METHOD /path".
func docOps(t *testing.T) []string {
	t.Helper()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var out []string
	for path, ops := range doc.Paths {
		for method := range ops {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIMatchesRoutes: every route the mux serves is in the OpenAPI
// document and every operation of the document is served, with the same
// method and path; the mux's pattern for a concrete request to each
// documented path is that route (so no other pattern shadows it).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := testAPI(t)
	var served []string
	for _, p := range a.Routes() {
		served = append(served, strings.Replace(p, " /{$}", " /", 1))
	}
	slices.Sort(served)
	doc := docOps(t)
	for _, p := range served {
		if _, ok := slices.BinarySearch(doc, p); !ok {
			t.Errorf("route %s has no operation in openapi.json", p)
		}
	}
	for _, p := range doc {
		if _, ok := slices.BinarySearch(served, p); !ok {
			t.Errorf("openapi.json documents %s, which is not served", p)
		}
	}
	for _, p := range a.Routes() {
		method, path, _ := strings.Cut(p, " ")
		concrete := strings.NewReplacer("{stream_id}", "s", "{topic_id}", "t", "{group_id}", "g", "{user_id}", "7",
			"{partition_id}", "1", "{fsync}", "true", "{client_id}", "3", "{name}", "n", "{consumer_id}", "c", "{$}", "").Replace(path)
		req := httptest.NewRequest(method, concrete, nil)
		if _, pattern := a.mux.Handler(req); pattern != p {
			t.Errorf("%s %s is routed to %q, want %q", method, concrete, pattern, p)
		}
	}
	if len(served) < 47 {
		t.Errorf("%d routes served, want Iggy's 47 and Shoal's 2", len(served))
	}
}
