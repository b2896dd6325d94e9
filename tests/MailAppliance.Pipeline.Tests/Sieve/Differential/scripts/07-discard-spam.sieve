if header :is "x-spam-flag" "yes" { discard; stop; }
keep;
