require "fileinto";
if header :is "from" "nobody@nowhere" { fileinto "Never"; }
elsif header :contains "from" "alice" { fileinto "Alice"; stop; }
else { discard; }
fileinto "NotReached";
