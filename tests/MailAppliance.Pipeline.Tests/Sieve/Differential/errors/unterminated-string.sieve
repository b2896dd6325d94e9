if header :is "subject" "unterminated { keep; }
