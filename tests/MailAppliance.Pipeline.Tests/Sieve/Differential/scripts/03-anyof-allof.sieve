require ["fileinto"];
if anyof (header :contains "list-id" "dev", header :is "precedence" "list") {
  fileinto "Lists/Dev";
  stop;
}
if allof (exists "message-id", not exists "x-nothing", size :under 10K) { fileinto "Small"; }
