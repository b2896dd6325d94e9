require ["vacation"];
vacation :days 3 :subject "Away until Monday" :from "bob@example.test" :addresses ["bob@example.test"] "I am out of the office.";
