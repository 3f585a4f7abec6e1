// Package auth decides what a logged-in user may do, by Iggy's
// permissioner rules: the root user may do everything; every other user
// needs a grant, global or for a stream or a topic (wire.Permissions holds
// the rules). Checks read one committed metadata.State and take no lock.
// Both front ends (the binary protocol and HTTP) check through it.
//
// It also guards logging in (issue #15 items 1 and 2): a Pool runs the
// argon2id password checks on a fixed number of workers behind a bounded
// queue, so concurrent logins cannot exhaust memory, and a Limiter backs
// off remote addresses and usernames that fail too often, so guessing is
// slow and cannot starve other clients.
//
// A Pool owns its worker goroutines and Close waits for them; nothing
// else starts goroutines. It imports internal/wire and internal/metadata.
package auth
