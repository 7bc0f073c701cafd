"""Programme régional d'animation: axes, programmes, actions, team, copil meetings."""
