require ["variables", "fileinto"];
if header :matches "subject" "[*] *" { set :lower "list" "${1}"; fileinto "Lists/${list}"; }
if header :matches "from" "* <*@*>" { set :upperfirst "who" "${2}"; fileinto "From/${who}/${3}"; }
