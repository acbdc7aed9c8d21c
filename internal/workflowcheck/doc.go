// Package workflowcheck holds tests of the shipped GitHub workflows: that
// the pull-request gate is run by the base, not by the pull request it
// grades. It has no code of its own.
package workflowcheck
