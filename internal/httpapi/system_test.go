package httpapi_test

import (
	"archive/zip"
	"bytes"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/server"
	"github.com/shoal-io/shoal/internal/transport/tlsconn"
	"github.com/shoal-io/shoal/internal/wire"
)

// TestSystemRoutes: the public routes, stats, cluster metadata, clients
// and snapshots, with their refusals.
func TestSystemRoutes(t *testing.T) {
	e := start(t)
	if r := e.must(http.StatusOK, "GET", "/", "", nil); string(r.body) != "Iggy API" {
		t.Fatalf("/ = %q", r.body)
	}
	if r := e.must(http.StatusOK, "GET", "/ping", "", nil); string(r.body) != "pong" {
		t.Fatalf("/ping = %q", r.body)
	}
	var health map[string]string
	e.must(http.StatusOK, "GET", "/health", "", nil).json(t, &health)
	if health["status"] != "healthy" || health["version"] != server.Version {
		t.Fatalf("/health = %v", health)
	}
	if r := e.must(http.StatusOK, "GET", "/metrics", "", nil); !strings.Contains(string(r.body), "# TYPE") {
		t.Fatalf("/metrics: %.200s", r.body)
	}
	if r := e.must(http.StatusOK, "GET", "/openapi.json", "", nil); !bytes.Contains(r.body, []byte(`"openapi"`)) {
		t.Fatalf("/openapi.json: %.100s", r.body)
	}
	e.must(http.StatusNotFound, "GET", "/no/such/route", e.root, nil)

	e.must(http.StatusUnauthorized, "GET", "/stats", "", nil)
	e.must(http.StatusUnauthorized, "GET", "/stats", "not.a.jwt", nil)
	var stats struct {
		StreamsCount uint32 `json:"streams_count"`
		ClientsCount uint32 `json:"clients_count"`
		Version      string `json:"iggy_server_version"`
		MemoryUsage  string `json:"memory_usage"`
	}
	e.must(http.StatusOK, "POST", "/streams", e.root, map[string]string{"name": "s"})
	e.must(http.StatusOK, "GET", "/stats", e.root, nil).json(t, &stats)
	if stats.StreamsCount != 1 || stats.Version != server.Version || !strings.HasSuffix(stats.MemoryUsage, "B") {
		t.Fatalf("stats %+v", stats)
	}

	var cluster struct {
		Name  string `json:"name"`
		Nodes []struct {
			Role      string `json:"role"`
			Status    string `json:"status"`
			Endpoints struct {
				HTTP uint16 `json:"http"`
				TCP  uint16 `json:"tcp"`
			} `json:"endpoints"`
		} `json:"nodes"`
	}
	e.must(http.StatusOK, "GET", "/cluster/metadata", e.root, nil).json(t, &cluster)
	if len(cluster.Nodes) != 1 || cluster.Nodes[0].Role != "leader" || cluster.Nodes[0].Status != "healthy" ||
		cluster.Nodes[0].Endpoints.HTTP == 0 || cluster.Nodes[0].Endpoints.TCP == 0 {
		t.Fatalf("cluster %+v", cluster)
	}

	e.tcp("admin", "s3cret") // one binary client
	var clients []struct {
		ID        uint32  `json:"client_id"`
		UserID    *uint32 `json:"user_id"`
		Transport string  `json:"transport"`
	}
	e.must(http.StatusOK, "GET", "/clients", e.root, nil).json(t, &clients)
	if len(clients) != 1 || clients[0].Transport != "TCP" {
		t.Fatalf("clients %+v", clients)
	}
	var one struct {
		ID             uint32 `json:"client_id"`
		ConsumerGroups []any  `json:"consumer_groups"`
	}
	e.must(http.StatusOK, "GET", "/clients/"+itoa(clients[0].ID), e.root, nil).json(t, &one)
	if one.ID != clients[0].ID || one.ConsumerGroups == nil {
		t.Fatalf("client %+v", one)
	}
	e.refused(http.StatusNotFound, 404, "GET", "/clients/999999", e.root, nil)
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "GET", "/clients/x", e.root, nil)

	r := e.must(http.StatusOK, "POST", "/snapshot", e.root, map[string]any{"compression": "Deflated", "snapshot_types": []string{"All"}})
	if r.header.Get("Content-Type") != "application/zip" || !strings.Contains(r.header.Get("Content-Disposition"), "iggy_snapshot_") {
		t.Fatalf("snapshot headers %v", r.header)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil || len(zr.File) == 0 {
		t.Fatalf("snapshot is not a zip: %v", err)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCommand), "POST", "/snapshot", e.root,
		map[string]any{"compression": "Deflated", "snapshot_types": []string{"Everything"}})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCommand), "POST", "/snapshot", e.root,
		map[string]any{"compression": "Zstd", "snapshot_types": []string{"All"}})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "POST", "/snapshot", e.root, "{")

	// A user without read_servers.
	e.must(http.StatusOK, "POST", "/users", e.root, map[string]any{"username": "plain", "password": "plain-pass"})
	plain := e.login("plain", "plain-pass")
	for _, p := range []string{"/stats", "/clients", "/clients/1"} {
		e.refused(http.StatusForbidden, uint32(wire.StatusUnauthorized), "GET", p, plain, nil)
	}
	e.refused(http.StatusForbidden, uint32(wire.StatusUnauthorized), "POST", "/snapshot", plain,
		map[string]any{"compression": "Deflated", "snapshot_types": []string{"All"}})
	e.must(http.StatusOK, "GET", "/cluster/metadata", plain, nil)
}

// TestTLS: with [http.tls] the API is served over HTTPS only.
func TestTLS(t *testing.T) {
	srvCert := func(o *server.Options, cert tls.Certificate) { o.HTTP.TLS = tlsconn.NewServerConfig(cert) }
	e := startTLS(t, srvCert)
	e.must(http.StatusOK, "GET", "/ping", "", nil)
	e.must(http.StatusOK, "GET", "/streams", e.root, nil)
	plain := &http.Client{}
	defer plain.CloseIdleConnections()
	resp, err := plain.Get("http://" + e.srv.Addr("http").String() + "/ping")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served on a TLS listener")
		}
	}
}
