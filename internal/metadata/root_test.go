package metadata

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

func env(kv ...string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for i := 0; i < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1], true
			}
		}
		return "", false
	}
}

func TestResolveRoot(t *testing.T) {
	c, err := ResolveRoot(env(EnvRootUsername, "admin", EnvRootPassword, "hunter2"), true, nil)
	if err != nil || c != (RootCredentials{"admin", "hunter2", RootFromEnv}) {
		t.Fatalf("env (beats the default option): %+v, %v", c, err)
	}
	c, err = ResolveRoot(env(), true, nil)
	if err != nil || c != (RootCredentials{"iggy", "iggy", RootDefault}) {
		t.Fatalf("default option: %+v, %v", c, err)
	}
	c, err = ResolveRoot(env(), false, nil)
	if err != nil || c.Username != "iggy" || c.Source != RootGenerated || len(c.Password) != generatedPasswordLen {
		t.Fatalf("generated: %+v, %v", c, err)
	}
	c2, _ := ResolveRoot(env(), false, nil)
	if c2.Password == c.Password {
		t.Fatal("two generated passwords are equal")
	}
	for name, lookup := range map[string]func(string) (string, bool){
		"username only":  env(EnvRootUsername, "admin"),
		"password only":  env(EnvRootPassword, "pw"),
		"short username": env(EnvRootUsername, "ad", EnvRootPassword, "hunter2"),
		"empty password": env(EnvRootUsername, "admin", EnvRootPassword, ""),
	} {
		if _, err := ResolveRoot(lookup, true, nil); !errors.Is(err, ErrRootCredentials) {
			t.Errorf("%s: %v, want ErrRootCredentials", name, err)
		}
	}
	_, err = ResolveRoot(env(EnvRootPassword, "pw"), false, nil)
	if err == nil || !strings.Contains(err.Error(), EnvRootUsername) {
		t.Errorf("error %v does not name the missing variable", err)
	}
}

// TestBootstrapOnlyOnFirstStart: the first start creates root with id 0; a
// restart with other credentials keeps the user and its password.
func TestBootstrapOnlyOnFirstStart(t *testing.T) {
	m := vfs.NewMem()
	s := openStore(t, m)
	first, err := ResolveRoot(env(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.Bootstrap(first, time.Unix(100, 0), nil)
	if err != nil || !created {
		t.Fatalf("Bootstrap = %v, %v", created, err)
	}
	if created, err := s.Bootstrap(first, time.Unix(101, 0), nil); err != nil || created {
		t.Fatalf("second Bootstrap in the same run = %v, %v", created, err)
	}
	s.Close()

	s = openStore(t, m.CrashClone(vfs.CrashOptions{}))
	defer s.Close()
	other := RootCredentials{Username: "iggy", Password: "iggy", Source: RootDefault}
	if created, err := s.Bootstrap(other, time.Unix(200, 0), nil); err != nil || created {
		t.Fatalf("Bootstrap after restart = %v, %v", created, err)
	}
	if u, st := s.Authenticate("iggy", first.Password); st != wire.StatusOK || u.ID != RootUserID || u.CreatedAt != 100_000_000 {
		t.Fatalf("generated password after restart: %+v, %v", u, st)
	}
	if _, st := s.Authenticate("iggy", "iggy"); st != wire.StatusInvalidCredentials {
		t.Fatalf("restart reset the root password: %v", st)
	}
}

func TestBootstrapRejectsBadCredentials(t *testing.T) {
	s := openStore(t, vfs.NewMem())
	defer s.Close()
	if _, err := s.Bootstrap(RootCredentials{Username: "x", Password: "long enough"}, time.Unix(1, 0), nil); !errors.Is(err, ErrRootCredentials) {
		t.Fatalf("Bootstrap = %v", err)
	}
	if _, err := s.Bootstrap(RootCredentials{Username: "admin", Password: "x"}, time.Unix(1, 0), nil); !errors.Is(err, ErrRootCredentials) {
		t.Fatalf("Bootstrap = %v", err)
	}
}
