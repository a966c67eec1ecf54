from sleeptwitch.cli import main

main()
