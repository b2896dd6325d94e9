require ["fileinto", "variables"];
if header :matches "subject" "*WORLD*TEAM" { fileinto "Cased"; }
if header :matches :comparator "i;octet" "subject" "*WORLD*" { fileinto "Octet"; }
if header :matches "message-id" "<?*@*>" { fileinto "Id/${1}${2}"; }
