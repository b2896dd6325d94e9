require "fileinto";
if exists ["from", "to", "date"] { if header :is "to" "" { fileinto "EmptyTo"; } else { fileinto "Complete"; } }
