require ["regex", "fileinto", "variables"];
if header :regex "subject" "^\\[([a-z]+)\\] (.*)$" { fileinto "Regex/${1}"; }
if address :regex :domain "from" "(lists|example)\\.org$" { fileinto "RegexDomain"; }
