require ["variables", "fileinto"];
set "a" "Hello";
set :length "n" "${a}";
set :upper "u" "${a}";
set :quotewildcard "q" "a*b?c";
if string :is "${n}" "5" { fileinto "${u}-${n}"; }
if string :matches "${q}" "a\\\\*b*" { fileinto "Quoted"; }
