from miners.cli import main

raise SystemExit(main())
