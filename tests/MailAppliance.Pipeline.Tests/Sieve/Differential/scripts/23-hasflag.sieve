require ["imap4flags", "fileinto", "variables"];
setflag "flags" "\\Seen Work";
if hasflag :is "flags" "work" { addflag "Done"; }
if hasflag :contains "Do" { fileinto "HasDone"; }
