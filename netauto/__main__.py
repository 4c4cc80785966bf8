from netauto.cli.main import main

main()
