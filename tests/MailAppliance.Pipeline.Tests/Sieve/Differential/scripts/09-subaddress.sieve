require ["subaddress", "envelope", "fileinto", "variables"];
if envelope :detail "to" "*" { set "d" "${1}"; if string :is "${d}" "" { keep; } else { fileinto "Plus/${d}"; } }
if address :user "to" "bob" { keep; }
