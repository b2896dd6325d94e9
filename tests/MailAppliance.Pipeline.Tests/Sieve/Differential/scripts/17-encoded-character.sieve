require ["encoded-character", "fileinto"];
if header :contains "subject" "${hex: 4D c3 BC}nchen" { fileinto "${unicode:0047}erman"; }
