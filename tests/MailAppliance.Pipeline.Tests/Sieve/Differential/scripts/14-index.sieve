require ["index", "date", "fileinto"];
if header :index 1 :contains "to" "bob" { fileinto "FirstTo"; }
if address :index 2 :last :is :domain "to" "example.test" { fileinto "IndexLast"; }
