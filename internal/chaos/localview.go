package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// localViewOf reads node i's own view of the metadata: the leader it
// names (GetClusterMetadata over the wire protocol, which each node
// answers from its own state) and its streams, topics and users over its
// HTTP API, which each node also answers from its own state. The wire
// protocol's metadata reads cannot be used for this: in a cluster a node
// serves them only once its group confirms that it leads (a backup
// answers 58), so only the leader's would be read.
func localViewOf(ctx context.Context, tcpAddr, httpAddr string, topics bool, timeout time.Duration) (nodeView, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v := nodeView{Topics: map[string][]string{}}
	p, err := dialProbe(ctx, tcpAddr)
	if err != nil {
		return v, err
	}
	v.Leader, err = p.leader()
	p.close()
	if err != nil {
		return v, err
	}
	h := httpView{base: "http://" + httpAddr}
	var login struct {
		AccessToken struct {
			Token string `json:"token"`
		} `json:"access_token"`
	}
	if err := h.do(ctx, "POST", "/users/login", map[string]string{"username": "iggy", "password": "iggy"}, &login); err != nil {
		return v, err
	}
	h.token = login.AccessToken.Token
	var streams []struct {
		ID   uint32 `json:"id"`
		Name string `json:"name"`
	}
	if err := h.do(ctx, "GET", "/streams", nil, &streams); err != nil {
		return v, err
	}
	for _, s := range streams {
		v.Streams = append(v.Streams, s.Name)
		if !topics {
			continue
		}
		var d struct {
			Topics []struct {
				Name string `json:"name"`
			} `json:"topics"`
		}
		if err := h.do(ctx, "GET", "/streams/"+strconv.FormatUint(uint64(s.ID), 10), nil, &d); err != nil {
			return v, err
		}
		ts := []string{}
		for _, t := range d.Topics {
			ts = append(ts, t.Name)
		}
		slices.Sort(ts)
		v.Topics[s.Name] = ts
	}
	slices.Sort(v.Streams)
	var users []struct {
		Username string `json:"username"`
	}
	if err := h.do(ctx, "GET", "/users", nil, &users); err != nil {
		return v, err
	}
	for _, u := range users {
		v.Users = append(v.Users, u.Username)
	}
	slices.Sort(v.Users)
	return v, nil
}

// httpView is a minimal client of one node's HTTP API.
type httpView struct {
	base, token string
}

// do sends a request with a JSON body (if in is not nil) and decodes a
// 200 or 201 answer's JSON into out.
func (h httpView) do(ctx context.Context, method, path string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("chaos: %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
