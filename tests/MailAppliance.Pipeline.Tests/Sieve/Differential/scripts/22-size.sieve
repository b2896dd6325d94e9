require "fileinto";
if size :over 500 { fileinto "Big"; } else { fileinto "Tiny"; }
if size :under 1M { keep; }
