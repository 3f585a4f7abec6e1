package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/shoal-io/shoal/internal/auth"
)

// Example shows the order a server's password login takes: the limiter
// first (cheap, no argon2 work while a guesser backs off), then the
// check on the pool, then the outcome back into the limiter. A token
// login skips the pool (it is one hash lookup) and passes user "".
func Example() {
	now := time.Unix(0, 0)
	limiter := auth.NewLimiter(auth.LimiterConfig{MaxFailures: 2, Now: func() time.Time { return now }})
	pool := auth.NewPool(1, 4)
	defer pool.Close()

	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 51000} // from Bus().ClientConn
	login := func(user, password string) string {
		addr := auth.AddrOf(remote)
		if ok, wait := limiter.Allow(addr, user); !ok {
			return fmt.Sprintf("TransientNotAccepted (backing off %v)", wait)
		}
		answer := make(chan string, 1)
		err := pool.Submit(context.Background(), func() {
			if password != "secret" { // the argon2id check
				limiter.Failed(addr, user)
				answer <- "InvalidCredentials"
				return
			}
			limiter.Succeeded(addr, user)
			answer <- "OK"
		})
		if errors.Is(err, auth.ErrBusy) {
			return "TransientNotAccepted (busy)"
		}
		return <-answer
	}
	fmt.Println(login("root", "guess1"))
	fmt.Println(login("root", "guess2"))
	fmt.Println(login("root", "secret"))
	now = now.Add(time.Second)
	fmt.Println(login("root", "secret"))
	// Output:
	// InvalidCredentials
	// InvalidCredentials
	// TransientNotAccepted (backing off 1s)
	// OK
}
