require ["date", "relational", "fileinto", "variables"];
if date :originalzone :is "date" "hour" "10" { fileinto "TenOClock"; }
if date :zone "+0000" :value "ge" "date" "date" "2026-06-03" { fileinto "Late"; }
if date :originalzone "date" "weekday" "1" { fileinto "Monday"; }
if date :zone "+0000" :is "received" "date" "2026-06-03" { fileinto "Received3rd"; }
if date :zone "-0500" :matches "date" "iso8601" "*" { set "d" "${1}"; fileinto "Iso/${d}"; }
