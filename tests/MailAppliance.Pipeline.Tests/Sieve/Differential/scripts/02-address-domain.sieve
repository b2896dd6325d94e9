require ["fileinto"];
if address :domain :is "from" "example.org" { fileinto "Org"; }
elsif address :localpart :is "from" "juergen" { fileinto "Friends"; }
else { keep; }
