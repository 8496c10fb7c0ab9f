// Replaced by the command-line interface (issue: training worker).
return 0;
