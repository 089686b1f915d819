# Loaded before the program (`ruby -r`): output goes out as it is printed, so a prompt
# shows before the program waits for its answer.
$stdout.sync = true
$stderr.sync = true
