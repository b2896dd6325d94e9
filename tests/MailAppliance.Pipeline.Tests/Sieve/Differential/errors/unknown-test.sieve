require "fileinto";

if foo "bar" { keep; }
