require ["fileinto", "mailbox", "copy", "imap4flags"];
fileinto :create :copy "Archive/2026";
fileinto :create :flags "\\Seen" "Archive/All";
