require ["vacation", "fileinto"];
if not header :contains "subject" "won" {
  vacation :handle "ooo" text:
Hello,
..I am away.
Back soon.
.
;
}
fileinto "Seen";
