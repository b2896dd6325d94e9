keep;
fileinto "x";
