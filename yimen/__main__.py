from yimen.cli import main

raise SystemExit(main())
