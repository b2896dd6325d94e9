# A hash comment
/* a bracket
   comment */ require ["fileinto"]; # trailing
if header :contains ["subject", "from"] ["report", "build"] { fileinto "Matched"; }
