require ["copy"];
if address :is :all "from" "alice@example.org" { redirect :copy "archive@example.net"; }
redirect "boss@example.com";
redirect "boss@example.com";
