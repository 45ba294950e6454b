package snap

// RidgePredict exposes ridgePredict to the golden test.
var RidgePredict = ridgePredict
