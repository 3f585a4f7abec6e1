package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/wire"
)

// Users, logins and personal access tokens. Writes go through the
// service's typed methods (the binary protocol's), so validation and
// permissions are the same: managing users takes manage_users, reading
// others read_users; a user may read itself and change its own password.

var userRoutes = []route{
	{"GET", "/users", false, (*API).getUsers},
	{"POST", "/users", false, (*API).createUser},
	{"GET", "/users/{user_id}", false, (*API).getUser},
	{"PUT", "/users/{user_id}", false, (*API).updateUser},
	{"DELETE", "/users/{user_id}", false, (*API).deleteUser},
	{"PUT", "/users/{user_id}/permissions", false, (*API).updatePermissions},
	{"PUT", "/users/{user_id}/password", false, (*API).changePassword},
	{"POST", "/users/login", true, (*API).login},
	{"DELETE", "/users/logout", false, (*API).logout},
	{"POST", "/users/refresh-token", true, (*API).refreshToken},
}

var tokenRoutes = []route{
	{"GET", "/personal-access-tokens", false, (*API).getTokens},
	{"POST", "/personal-access-tokens", false, (*API).createToken},
	{"DELETE", "/personal-access-tokens/{name}", false, (*API).deleteToken},
	{"POST", "/personal-access-tokens/login", true, (*API).loginWithToken},
}

func (a *API) getUsers(w http.ResponseWriter, r *http.Request, id identity) {
	if !a.svc.CanReadUsers(caller(id)) {
		a.fail(w, r, wire.StatusUnauthorized)
		return
	}
	users := a.svc.State().UserList()
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userOf(u)
	}
	writeJSON(w, http.StatusOK, out)
}

// getUser answers a user's details: the caller itself, or anyone with
// read_users. An unknown user is 404.
func (a *API) getUser(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "user_id")
	if !ok {
		return
	}
	st := a.svc.State()
	uid, found := service.ResolveUser(st, ids[0])
	if !found {
		notFound(w)
		return
	}
	if uid != id.userID && !a.svc.CanReadUsers(caller(id)) {
		a.fail(w, r, wire.StatusUnauthorized)
		return
	}
	u, _ := st.User(uid)
	writeJSON(w, http.StatusOK, userDetailsOf(u))
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Username    string           `json:"username"`
		Password    string           `json:"password"`
		Status      string           `json:"status"`
		Permissions *permissionsJSON `json:"permissions"`
	}
	if !a.readJSON(w, r, &req) {
		return
	}
	status, ok := userStatus(req.Status)
	if !ok {
		a.fail(w, r, wire.StatusInvalidUserStatus)
		return
	}
	if tooLong(req.Username, req.Password) {
		a.fail(w, r, wire.StatusInvalidUsername)
		return
	}
	cu, st := viaWire(wire.CreateUser{Username: req.Username, Password: req.Password, Status: status,
		Permissions: req.Permissions.wire()})
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	o, ok := a.write(w, r, func(done service.Done) error { return a.svc.CreateUser(caller(id), cu, done) })
	if ok {
		u, _ := o.State.User(o.Result.UserID)
		writeJSON(w, http.StatusOK, userDetailsOf(u))
	}
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Username *string `json:"username"`
		Status   *string `json:"status"`
	}
	ids, ok := a.pathIDs(w, r, "user_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	u := wire.UpdateUser{User: ids[0]}
	if req.Username != nil {
		if *req.Username == "" {
			a.fail(w, r, wire.StatusInvalidUsername)
			return
		}
		u.Username = *req.Username
	}
	if req.Status != nil {
		if u.Status, ok = userStatus(*req.Status); !ok || u.Status == 0 {
			a.fail(w, r, wire.StatusInvalidUserStatus)
			return
		}
	}
	if tooLong(u.Username) {
		a.fail(w, r, wire.StatusInvalidUsername)
		return
	}
	update(a, w, r, id, u, (*service.Service).UpdateUser)
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, id identity) {
	if ids, ok := a.pathIDs(w, r, "user_id"); ok {
		update(a, w, r, id, wire.UserRequest{User: ids[0]}, (*service.Service).DeleteUser)
	}
}

func (a *API) updatePermissions(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Permissions *permissionsJSON `json:"permissions"`
	}
	ids, ok := a.pathIDs(w, r, "user_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	update(a, w, r, id, wire.UpdatePermissions{User: ids[0], Permissions: req.Permissions.wire()}, (*service.Service).UpdatePermissions)
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	ids, ok := a.pathIDs(w, r, "user_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	if tooLong(req.Current, req.New) {
		a.fail(w, r, wire.StatusInvalidPassword)
		return
	}
	update(a, w, r, id, wire.ChangePassword{User: ids[0], Current: req.Current, New: req.New}, (*service.Service).ChangePassword)
}

// Logins. They are counted by the login limiter like binary logins: a
// backing-off address or username is answered 503 with Retry-After before
// any password work.

// limited checks the limiter; a refusal is answered.
func (a *API) limited(w http.ResponseWriter, r *http.Request, user string) (addr string, ok bool) {
	addr = r.RemoteAddr
	if a.cfg.Limiter == nil {
		return addr, true
	}
	allowed, retry := a.cfg.Limiter.Allow(auth.AddrOf(tcpAddr(addr)), user)
	if !allowed {
		a.log.Info("http login refused: too many failures", "addr", addr, "user", user, "retry_after", retry)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retry.Seconds()+0.999))))
		writeJSON(w, http.StatusServiceUnavailable, bodyOf(wire.StatusTransientNotAccepted))
		return addr, false
	}
	return addr, true
}

// counted reports a login's outcome to the limiter.
func (a *API) counted(addr, user string, st wire.Status) {
	if a.cfg.Limiter == nil {
		return
	}
	switch st {
	case wire.StatusOK:
		a.cfg.Limiter.Succeeded(auth.AddrOf(tcpAddr(addr)), user)
	case wire.StatusInvalidCredentials, wire.StatusInvalidPersonalAccessToken, wire.StatusPersonalAccessTokenExpired:
		a.cfg.Limiter.Failed(auth.AddrOf(tcpAddr(addr)), user)
	}
}

// tcpAddr parses a request's RemoteAddr (always ip:port) without a
// resolver.
func tcpAddr(s string) net.Addr {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil
	}
	return net.TCPAddrFromAddrPort(ap)
}

// login checks a username and password (argon2, on the service's bounded
// pool) and answers an access token: {user_id, access_token: {token,
// expiry}}.
func (a *API) login(w http.ResponseWriter, r *http.Request, _ identity) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !a.readJSON(w, r, &req) {
		return
	}
	addr, ok := a.limited(w, r, req.Username)
	if !ok {
		return
	}
	type result struct {
		user uint32
		st   wire.Status
	}
	ch := make(chan result, 1)
	if err := a.svc.Authenticate(req.Username, req.Password, func(u uint32, st wire.Status) { ch <- result{u, st} }); err != nil {
		a.refused(w, r, err)
		return
	}
	res := <-ch
	a.counted(addr, req.Username, res.st)
	a.issue(w, r, res.user, res.st)
}

// loginWithToken logs in with a personal access token.
func (a *API) loginWithToken(w http.ResponseWriter, r *http.Request, _ identity) {
	var req struct {
		Token string `json:"token"`
	}
	if !a.readJSON(w, r, &req) {
		return
	}
	addr, ok := a.limited(w, r, "")
	if !ok {
		return
	}
	user, st := a.svc.AuthenticateToken(req.Token)
	a.counted(addr, "", st)
	a.issue(w, r, user, st)
}

// issue answers a new access token for user, or the refusal st.
func (a *API) issue(w http.ResponseWriter, r *http.Request, user uint32, st wire.Status) {
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	g, err := a.tokens.generate(user)
	if err != nil {
		a.log.Error("cannot generate a JWT", "err", err)
		a.fail(w, r, wire.StatusCannotGenerateJwt)
		return
	}
	writeJSON(w, http.StatusOK, identityJSON{UserID: g.userID, AccessToken: &accessTokenJSON{Token: g.token, Expiry: g.expiry}})
}

// logout revokes the caller's token until it expires.
func (a *API) logout(w http.ResponseWriter, r *http.Request, id identity) {
	if _, err := a.tokens.revoke(id); err != nil {
		a.fail(w, r, wire.StatusTransientNotAccepted)
		return
	}
	noContent(w)
}

// refreshToken exchanges a valid access token, once, for a new one: the
// old one is revoked (Iggy's refresh: {"token": "<access token>"}).
func (a *API) refreshToken(w http.ResponseWriter, r *http.Request, _ identity) {
	var req struct {
		Token string `json:"token"`
	}
	if !a.readJSON(w, r, &req) {
		return
	}
	id, ok := a.tokens.verify(req.Token)
	if !ok {
		a.fail(w, r, wire.StatusInvalidAccessToken)
		return
	}
	switch fresh, err := a.tokens.revoke(id); {
	case err != nil:
		a.fail(w, r, wire.StatusTransientNotAccepted)
	case !fresh:
		a.fail(w, r, wire.StatusInvalidAccessToken)
	default:
		a.issue(w, r, id.userID, wire.StatusOK)
	}
}

// Personal access tokens: the caller's own.

func (a *API) getTokens(w http.ResponseWriter, _ *http.Request, id identity) {
	list := a.svc.State().TokenList(id.userID)
	out := make([]tokenInfoJSON, len(list))
	for i, t := range list {
		out[i] = tokenInfoJSON{Name: t.Name}
		if t.ExpiryAt != 0 {
			exp := t.ExpiryAt
			out[i].ExpiryAt = &exp
		}
	}
	slices.SortFunc(out, func(x, y tokenInfoJSON) int { return strings.Compare(x.Name, y.Name) })
	writeJSON(w, http.StatusOK, out)
}

// createToken mints a token: {"name", "expiry": µs, 0 or u64 max never}.
// The token is answered once: {"token": "..."}.
func (a *API) createToken(w http.ResponseWriter, r *http.Request, id identity) {
	var req struct {
		Name   string `json:"name"`
		Expiry u64    `json:"expiry"`
	}
	if !a.readJSON(w, r, &req) {
		return
	}
	type result struct {
		o     service.Outcome
		token string
	}
	if tooLong(req.Name) {
		a.fail(w, r, wire.StatusInvalidPersonalAccessTokenName)
		return
	}
	ct, st := viaWire(wire.CreateToken{Name: req.Name, Expiry: uint64(req.Expiry)})
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	ch := make(chan result, 1)
	err := a.svc.CreateToken(caller(id), ct, func(o service.Outcome, token string) { ch <- result{o, token} })
	if err != nil {
		a.refused(w, r, err)
		return
	}
	res := <-ch
	if res.o.Status != wire.StatusOK {
		a.fail(w, r, res.o.Status)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": res.token})
}

func (a *API) deleteToken(w http.ResponseWriter, r *http.Request, id identity) {
	name := r.PathValue("name")
	if tooLong(name) {
		a.fail(w, r, wire.StatusInvalidPersonalAccessTokenName)
		return
	}
	update(a, w, r, id, wire.DeleteToken{Name: name}, (*service.Service).DeleteToken)
}
