// Package lint holds repository-wide checks that run as ordinary tests:
// every package documents itself and checks for goroutine leaks, and the
// layering of ARCHITECTURE.md holds for the packages that must stay leaf
// codecs. It has no non-test code and starts no goroutines.
package lint
