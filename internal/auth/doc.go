// Package auth decides what a logged-in user may do, by Iggy's
// permissioner rules: the root user may do everything; every other user
// needs a grant, global or for a stream or a topic (wire.Permissions holds
// the rules). Checks read one committed metadata.State and take no lock.
// Both front ends (the binary protocol and HTTP) check through it.
//
// It starts no goroutines and imports internal/wire and internal/metadata.
package auth
