// Package novars holds one test: no package-level variable of the
// project is assigned outside its declaration and the init functions of
// its package. Settings travel as values (options structs, method
// arguments), so two runs or comparisons in one process cannot differ by
// accident, and a test that sets one cannot leak into the next.
package novars
