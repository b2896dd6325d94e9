require ["reject"];
if header :contains "subject" ["won", "casino"] { reject "I do not accept lottery mail."; }
