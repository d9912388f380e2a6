return {format=1,key={},result={history={{epoch=1,train_acc=50.0,train_loss=1.5}},seconds=0.5}}
