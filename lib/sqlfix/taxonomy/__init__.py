"""Error taxonomy: 81 leaf categories on 3 levels (conf/taxonomy.yaml) and the classifiers that apply it."""
