package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// cors answers cross-origin requests by [http.cors]: an allowed origin
// gets Access-Control-Allow-Origin (and the configured credentials and
// exposed headers) on every response, and a preflight (OPTIONS with
// Access-Control-Request-Method) is answered here, 200 with the allowed
// methods and headers, without reaching a route.
type cors struct {
	anyOrigin                   bool
	origins                     []string
	methods, headers, exposed   string
	credentials, privateNetwork bool
}

func newCORS(c CORS) (*cors, error) {
	clean := func(list []string) []string {
		var out []string
		for _, s := range list {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	m := clean(c.AllowedMethods)
	for i, s := range m {
		m[i] = strings.ToUpper(s)
		switch m[i] {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead,
			http.MethodOptions, http.MethodConnect, http.MethodPatch, http.MethodTrace:
		default:
			return nil, fmt.Errorf("httpapi: cors: unknown method %q", s)
		}
	}
	origins := clean(c.AllowedOrigins)
	return &cors{
		anyOrigin: len(origins) > 0 && origins[0] == "*", origins: origins,
		methods: strings.Join(m, ","), headers: strings.Join(clean(c.AllowedHeaders), ","),
		exposed: strings.Join(clean(c.ExposedHeaders), ","), credentials: c.AllowCredentials,
		privateNetwork: c.AllowPrivateNetwork,
	}, nil
}

// handle sets the CORS headers of r's response and reports whether it
// answered r (a preflight).
func (c *cors) handle(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin != "" && (c.anyOrigin || slices.Contains(c.origins, origin)) {
		if c.anyOrigin && !c.credentials {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin) // credentials forbid "*"
		}
		if c.credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.exposed != "" && !preflight {
			h.Set("Access-Control-Expose-Headers", c.exposed)
		}
		if preflight {
			h.Set("Access-Control-Allow-Methods", c.methods)
			h.Set("Access-Control-Allow-Headers", c.headers)
			if c.privateNetwork && r.Header.Get("Access-Control-Request-Private-Network") == "true" {
				h.Set("Access-Control-Allow-Private-Network", "true")
			}
		}
	}
	if preflight {
		w.WriteHeader(http.StatusOK)
	}
	return preflight
}
