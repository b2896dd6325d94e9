require ["fileinto", "reject"];
fileinto "Keep";
reject "no";
