require ["fileinto"];
if header :contains "from" "Jürgen" { fileinto "Familie/Jürgen"; }
