from guitu_match.cli import main

raise SystemExit(main())
