require ["imap4flags", "fileinto"];
addflag "\\Seen";
if header :matches "subject" "*world*" { addflag ["\\Flagged", "$Important"]; }
removeflag "\\Seen";
fileinto :flags "\\Answered Custom" "Flagged";
keep;
