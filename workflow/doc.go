// Package workflow will own the target workflow of DESIGN.md §6–§8: the
// state machine of a target, the realism check of a proposal, periodic
// reviews, period close and the inbox.
//
// It is empty until the target workflow is built; the package exists so
// that the layout of the product is in place from the start.
package workflow
