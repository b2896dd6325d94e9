require ["envelope", "fileinto"];
if envelope :domain :is "from" "example.org" { fileinto "EnvOrg"; }
if envelope :all :matches "to" "bob*@example.test" { fileinto "ToBob"; }
